import { createServer, type Server, type Socket } from "node:net";
import { BSON, type Document } from "mongodb";

/** What the scripted server does with one command: answer it, drop the connection, or never answer. */
export type ScriptedReply = Document | "drop" | "hang";

/**
 * A tiny MongoDB wire responder for faults a real server cannot be made to produce on demand: it
 * answers the handshake and `hello` as a standalone 7.0 server, and every other command as
 * `script` says (`{ ok: 1 }` when it returns `undefined`). Speaks OP_MSG, and OP_QUERY for the
 * driver's first handshake. Listens on a free port of 127.0.0.1.
 */
export class ScriptedServer {
  /** Every command received, by name, in order. */
  readonly received: { name: string; command: Document }[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly script: (name: string, command: Document) => ScriptedReply | undefined,
  ) {
    this.server = createServer((socket) => this.serve(socket));
  }

  /** Starts a server that answers as `script` says. */
  static async start(
    script: (name: string, command: Document) => ScriptedReply | undefined,
  ): Promise<ScriptedServer> {
    const server = new ScriptedServer(script);
    await new Promise<void>((resolve) => server.server.listen(0, "127.0.0.1", resolve));
    return server;
  }

  /** `mongodb://127.0.0.1:<port>/<db>` with a direct connection and a polling monitor. */
  url(db = "faults"): string {
    const address = this.server.address() as { port: number };
    return `mongodb://127.0.0.1:${address.port}/${db}?directConnection=true&serverMonitoringMode=poll&retryWrites=false&retryReads=false`;
  }

  /** How many commands named `name` were received. */
  count(name: string): number {
    return this.received.filter((entry) => entry.name === name).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
        const length = buffered.readInt32LE(0);
        const message = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        this.answer(socket, message);
      }
    });
  }

  private answer(socket: Socket, message: Buffer): void {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    let command: Document;
    if (opCode === 2013) {
      command = this.readOpMsg(message);
    } else if (opCode === 2004) {
      // OP_QUERY: flags, full collection name (cstring), skip, return, then the query document.
      let offset = 20;
      while (message[offset] !== 0) offset += 1;
      offset += 1 + 8;
      command = BSON.deserialize(message.subarray(offset, offset + message.readInt32LE(offset)));
    } else {
      socket.destroy();
      return;
    }
    const name = Object.keys(command)[0] ?? "";
    this.received.push({ name, command });
    const isHello = name === "hello" || name === "ismaster" || name === "isMaster";
    const reply = isHello ? HELLO : (this.script(name, command) ?? { ok: 1 });
    if (reply === "drop") {
      socket.destroy();
      return;
    }
    if (reply === "hang") return;
    const body = BSON.serialize(reply);
    if (opCode === 2004) {
      const header = Buffer.alloc(36);
      header.writeInt32LE(36 + body.length, 0);
      header.writeInt32LE(requestId + 1_000_000, 4);
      header.writeInt32LE(requestId, 8);
      header.writeInt32LE(1, 12); // OP_REPLY
      header.writeInt32LE(0, 16); // responseFlags
      header.writeBigInt64LE(0n, 20); // cursorID
      header.writeInt32LE(0, 28); // startingFrom
      header.writeInt32LE(1, 32); // numberReturned
      socket.write(Buffer.concat([header, body]));
      return;
    }
    const header = Buffer.alloc(21);
    header.writeInt32LE(21 + body.length, 0);
    header.writeInt32LE(requestId + 1_000_000, 4);
    header.writeInt32LE(requestId, 8);
    header.writeInt32LE(2013, 12);
    header.writeUInt32LE(0, 16); // flagBits
    header.writeUInt8(0, 20); // section kind 0: the body
    socket.write(Buffer.concat([header, body]));
  }

  /** The command of an OP_MSG: its body, with the documents of kind-1 sections as arrays. */
  private readOpMsg(message: Buffer): Document {
    let offset = 20;
    let command: Document = {};
    while (offset < message.length) {
      const kind = message.readUInt8(offset);
      offset += 1;
      if (kind === 0) {
        const size = message.readInt32LE(offset);
        command = { ...BSON.deserialize(message.subarray(offset, offset + size)), ...command };
        offset += size;
      } else {
        const size = message.readInt32LE(offset);
        const end = offset + size;
        let cursor = offset + 4;
        const start = cursor;
        while (message[cursor] !== 0) cursor += 1;
        const identifier = message.subarray(start, cursor).toString("utf8");
        cursor += 1;
        const documents: Document[] = [];
        while (cursor < end) {
          const docSize = message.readInt32LE(cursor);
          documents.push(BSON.deserialize(message.subarray(cursor, cursor + docSize)));
          cursor += docSize;
        }
        command[identifier] = documents;
        offset = end;
      }
    }
    return command;
  }
}

const HELLO: Document = {
  helloOk: true,
  ismaster: true,
  isWritablePrimary: true,
  maxBsonObjectSize: 16_777_216,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  localTime: new Date(),
  logicalSessionTimeoutMinutes: 30,
  connectionId: 1,
  minWireVersion: 0,
  maxWireVersion: 21,
  readOnly: false,
  ok: 1,
};

/** A cursor reply of `documents` for `namespace` (`db.collection`), as `find` and `aggregate` answer. */
export function cursorReply(namespace: string, documents: Document[]): Document {
  return { cursor: { id: BSON.Long.fromNumber(0), ns: namespace, firstBatch: documents }, ok: 1 };
}
