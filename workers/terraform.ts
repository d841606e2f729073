// The terraform pool alone, for scaling it out as its own process (`dharma worker --pool terraform` is the same).
import { runPoolEntry } from './from-env.js';

runPoolEntry('terraform');
