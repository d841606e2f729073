import type { ResourceChange, TerraformPlanJson } from '../policy/types.js';
import { effectiveChanges, type ChangeAction } from '../risk/plan-changes.js';
import type { PriceComponent, PriceTable } from './price-table.js';

/** How a resource's cost was established. Only `unpriced` resources are left out of the totals. */
export type CostStatus = 'priced' | 'free' | 'local' | 'usage-based' | 'unpriced';

export interface ComponentCost {
  name: string;
  monthly: number;
}

export interface ResourceCost {
  address: string;
  type: string;
  action: Exclude<ChangeAction, 'none'>;
  status: CostStatus;
  /** Monthly cost of the resource before and after the change (0 where it does not exist). */
  monthlyBefore: number;
  monthlyAfter: number;
  monthlyDelta: number;
  /** Cost parts of the resource after the change (before, for a delete). */
  components: ComponentCost[];
  /** What the figures leave out, or why the resource is unpriced. */
  note?: string;
}

export interface ReservedSuggestion {
  address: string;
  monthly: number;
  estimatedMonthlySaving: number;
  message: string;
}

export interface CostEstimate {
  priceTable: { version: string; source: string; retrievedOn: string; region: string };
  currency: string;
  /** What the change adds to the monthly bill (negative: it saves), unpriced resources excluded. */
  monthlyDelta: number;
  resources: ResourceCost[];
  unpriced: { address: string; type: string; reason: string }[];
  suggestions: ReservedSuggestion[];
  warnings: string[];
}

export interface EstimateOptions {
  /** The region the plan deploys to; a table of another region is used with a warning. */
  region?: string;
}

const cents = (value: number) => Math.round(value * 100) / 100;

type Attributes = Record<string, unknown>;

/** A resource's price, or why it has none. `reservable` is the part reserved capacity would discount. */
type Pricing =
  | {
      status: Exclude<CostStatus, 'unpriced'>;
      monthly: number;
      reservable: number;
      components: ComponentCost[];
      note?: string;
    }
  | { status: 'unpriced'; reason: string };

function componentCost(
  component: PriceComponent,
  attributes: Attributes,
  table: PriceTable,
): ComponentCost | string {
  let rate = component.rate;
  if (component.rateBy) {
    const { attribute, rates, default: fallback } = component.rateBy;
    const raw = attributes[attribute] ?? fallback;
    if (typeof raw !== 'string') return `${attribute} is not known until apply`;
    rate = Object.hasOwn(rates, raw) ? rates[raw] : undefined;
    if (rate === undefined)
      return `no price for ${attribute} ${JSON.stringify(raw)} in price table ${table.version}`;
  }
  if (rate === undefined) return `price table ${table.version} gives no rate for ${component.name}`;
  let quantity = 1;
  if (component.quantityAttribute) {
    const raw = attributes[component.quantityAttribute] ?? component.defaultQuantity;
    if (typeof raw !== 'number' || !(raw >= 0))
      return `${component.quantityAttribute} is not known until apply`;
    quantity = raw;
  }
  const multiplier =
    component.multiplier && attributes[component.multiplier.attribute] === component.multiplier.equals
      ? component.multiplier.factor
      : 1;
  const hours = component.unit === 'hour' ? table.hoursPerMonth : 1;
  return { name: component.name, monthly: rate * hours * quantity * multiplier };
}

function priceResource(type: string, attributes: Attributes, table: PriceTable): Pricing {
  if (table.localPrefixes.some((prefix) => type.startsWith(prefix))) {
    return {
      status: 'local',
      monthly: 0,
      reservable: 0,
      components: [],
      note: 'local resource: no cloud cost',
    };
  }
  if (table.free.includes(type)) return { status: 'free', monthly: 0, reservable: 0, components: [] };
  // Own properties only: a resource type named like an Object method must not find a price.
  const usage = Object.hasOwn(table.usageBased, type) ? table.usageBased[type] : undefined;
  if (usage !== undefined)
    return { status: 'usage-based', monthly: 0, reservable: 0, components: [], note: usage };
  const price = Object.hasOwn(table.resources, type) ? table.resources[type] : undefined;
  if (!price)
    return {
      status: 'unpriced',
      reason: `no price for resource type ${type} in price table ${table.version}`,
    };
  const components: ComponentCost[] = [];
  let reservable = 0;
  for (const component of price.components) {
    const cost = componentCost(component, attributes, table);
    if (typeof cost === 'string') return { status: 'unpriced', reason: cost };
    components.push(cost);
    if (component.reservable) reservable += cost.monthly;
  }
  const monthly = components.reduce((sum, c) => sum + c.monthly, 0);
  return { status: 'priced', monthly, reservable, components, ...(price.note ? { note: price.note } : {}) };
}

function estimateChange(change: ResourceChange, action: ResourceCost['action'], table: PriceTable) {
  const before =
    action === 'create' ? undefined : priceResource(change.type, change.change.before ?? {}, table);
  const after =
    action === 'delete' ? undefined : priceResource(change.type, change.change.after ?? {}, table);
  const unpriced = [before, after].find((p) => p?.status === 'unpriced');
  const base = { address: change.address, type: change.type, action };
  if (unpriced?.status === 'unpriced') {
    const resource: ResourceCost = {
      ...base,
      status: 'unpriced',
      monthlyBefore: 0,
      monthlyAfter: 0,
      monthlyDelta: 0,
      components: [],
      note: unpriced.reason,
    };
    return { resource, delta: 0, after: undefined, reason: unpriced.reason };
  }
  const b = before?.status !== 'unpriced' ? before : undefined;
  const a = after?.status !== 'unpriced' ? after : undefined;
  const shown = a ?? b!;
  const delta = (a?.monthly ?? 0) - (b?.monthly ?? 0);
  const resource: ResourceCost = {
    ...base,
    status: shown.status,
    monthlyBefore: cents(b?.monthly ?? 0),
    monthlyAfter: cents(a?.monthly ?? 0),
    monthlyDelta: cents(delta),
    components: shown.components.map((c) => ({ name: c.name, monthly: cents(c.monthly) })),
    ...(shown.note ? { note: shown.note } : {}),
  };
  return { resource, delta, after: a, reason: undefined };
}

/**
 * The monthly cost delta of a plan (`tofu show -json`), per resource and in total: creates add their
 * cost, deletes subtract it, updates and replaces add the difference. Resource types the table does not
 * know are listed as unpriced and left out of the total, never counted as free.
 */
export function estimateCost(
  plan: TerraformPlanJson,
  table: PriceTable,
  options: EstimateOptions = {},
): CostEstimate {
  const resources: ResourceCost[] = [];
  const unpriced: CostEstimate['unpriced'] = [];
  const suggestions: ReservedSuggestion[] = [];
  let total = 0;
  for (const { change, action } of effectiveChanges(plan)) {
    const estimate = estimateChange(change, action, table);
    resources.push(estimate.resource);
    total += estimate.delta;
    if (estimate.reason !== undefined) {
      unpriced.push({ address: change.address, type: change.type, reason: estimate.reason });
    }
    const after = estimate.after;
    if (after && after.reservable > 0 && after.monthly > table.reservedSuggestionAbove) {
      const saving = cents(after.reservable * table.reservedSaving);
      suggestions.push({
        address: change.address,
        monthly: cents(after.monthly),
        estimatedMonthlySaving: saving,
        message:
          `${change.address} costs ${table.currency} ${cents(after.monthly).toFixed(2)}/month: reserved capacity ` +
          `would save about ${Math.round(table.reservedSaving * 100)}% (${table.currency} ${saving.toFixed(2)}/month)`,
      });
    }
  }
  // A region mismatch matters only when something was priced from the table: local and free resources
  // cost nothing anywhere.
  const pricedFromTable = resources.some((r) => r.status === 'priced' || r.status === 'usage-based');
  const warnings =
    pricedFromTable && options.region !== undefined && options.region !== table.region
      ? [`prices are for ${table.region}; the plan deploys to ${options.region}`]
      : [];
  return {
    priceTable: {
      version: table.version,
      source: table.source,
      retrievedOn: table.retrievedOn,
      region: table.region,
    },
    currency: table.currency,
    monthlyDelta: cents(total),
    resources,
    unpriced,
    suggestions,
    warnings,
  };
}
