/**
 * Node.js socket error codes meaning a server cannot be reached or dropped the connection
 * (`err.code` of `net` and `dns` errors). Stores add their driver's own codes to it.
 */
export const SOCKET_ERROR_CODES: readonly string[] = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
];
