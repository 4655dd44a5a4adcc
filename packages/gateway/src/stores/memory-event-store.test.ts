import { eventStoreContract } from './event-store.contract.js';
import { MemoryEventStore } from './memory-event-store.js';

eventStoreContract('memory', (options) => new MemoryEventStore(options));
