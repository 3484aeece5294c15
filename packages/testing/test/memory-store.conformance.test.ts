import { MemoryStore } from "@sched/core";
import { storeConformance } from "../src/index.js";

storeConformance("MemoryStore", () => new MemoryStore(), { openPeer: (store) => store });
