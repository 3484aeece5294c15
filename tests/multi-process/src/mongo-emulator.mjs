// @ts-check
// The CongoDB MongoDB emulator in a process of its own, so that every instance process can reach
// it (in a test process it would die with that process's test file). Prints "port <n>" once it
// listens, and runs until killed.
import { congodb } from "@push.rocks/smartmongo";

const server = new congodb.CongoServer({ port: 0, host: "127.0.0.1" });
await server.start();
// The port is read from the listening socket: getConnectionUri() reports the requested port, 0.
const address = /** @type {{ port: number }} */ (/** @type {any} */ (server).server?.address());
process.stdout.write(`port ${address.port}\n`);
