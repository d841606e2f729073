// The cloud pool alone, for scaling it out as its own process (`dharma worker --pool cloud` is the same).
import { runPoolEntry } from './from-env.js';

runPoolEntry('cloud');
