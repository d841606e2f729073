/**
 * Shape of a versioned price table (lib/cost/prices/<version>.ts). Tables are never edited once an
 * estimate may have used them: new prices make a new version, so a recorded estimate can be recomputed.
 */
export interface PriceTable {
  /** The table's date, YYYY-MM-DD; also its file name. The newest version is the default. */
  version: string;
  /** Where the prices come from. */
  source: string;
  /** When they were read from the source. */
  retrievedOn: string;
  region: string;
  currency: string;
  /** Hours billed per month (domain section 3: 730). */
  hoursPerMonth: number;
  /** Suggest reserved capacity for a resource whose reservable part costs more than this a month. */
  reservedSuggestionAbove: number;
  /** Share of the reservable cost a reservation saves (about 30%). */
  reservedSaving: number;
  resources: Readonly<Record<string, ResourcePrice>>;
  /** Types billed only by usage (requests, GB stored, ...): listed as such, with no fixed monthly cost. */
  usageBased: Readonly<Record<string, string>>;
  /** Types that are free by themselves (VPCs, security groups, IAM, configuration sub-resources). */
  free: readonly string[];
  /** Prefixes of provider types that create nothing billable (dharma_, terraform_data, time_, random_ ...). */
  localPrefixes: readonly string[];
}

export interface ResourcePrice {
  components: readonly PriceComponent[];
  /** What the estimate leaves out, e.g. "+ LCU usage". */
  note?: string;
}

/** rate × (hoursPerMonth if unit is hour) × quantity × multiplier. */
export interface PriceComponent {
  name: string;
  unit: 'hour' | 'month';
  /** A fixed rate, or `rateBy` to pick the rate by an attribute of the resource (instance_type ...). */
  rate?: number;
  rateBy?: { attribute: string; rates: Readonly<Record<string, number>>; default?: string };
  /** Numeric attribute the rate is multiplied by (GB, nodes); `defaultQuantity` when it is absent. */
  quantityAttribute?: string;
  defaultQuantity?: number;
  /** E.g. Multi-AZ databases cost twice: `{ attribute: 'multi_az', equals: true, factor: 2 }`. */
  multiplier?: { attribute: string; equals: unknown; factor: number };
  /** Whether reserved capacity applies to this component (compute, not storage). */
  reservable?: boolean;
}
