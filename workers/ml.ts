// The ml pool alone, for scaling it out as its own process (`dharma worker --pool ml` is the same).
import { runPoolEntry } from './from-env.js';

runPoolEntry('ml');
