import { MemoryStore } from "@sched/core";
import { storeConformance } from "../src/conformance/index.js";

storeConformance("MemoryStore", () => new MemoryStore(), { openPeer: (store) => store });
