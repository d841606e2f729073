// The orchestration pool alone, for scaling it out as its own process (`dharma worker --pool orchestration` is the same).
import { runPoolEntry } from './from-env.js';

runPoolEntry('orchestration');
