import { MemorySessionStore } from './memory-session-store.js';
import { sessionStoreContract } from './session-store.contract.js';

sessionStoreContract('memory', (options) => new MemorySessionStore(options));
