// The trust pool alone, for scaling it out as its own process (`dharma worker --pool trust` is the same).
import { runPoolEntry } from './from-env.js';

runPoolEntry('trust');
