// @ts-nocheck
import { MemoryStore } from "/tmp/mut/src/memory/index.js";
import { storeConformance } from "../src/index.js";

storeConformance("Mutant", () => new MemoryStore());
