import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/**
 * Custom search attributes every Dharma workflow may set. Registered on the embedded server at start-up
 * (and by `dharma migrate` on an external cluster) so runs can be filtered in the API, CLI and Temporal UI.
 */
export const SEARCH_ATTRIBUTES = {
  DharmaRequester: 'Keyword',
  DharmaEnvironment: 'Keyword',
  DharmaTarget: 'Keyword',
  DharmaState: 'Keyword',
} as const;

export type DharmaSearchAttribute = keyof typeof SEARCH_ATTRIBUTES;

/** Typed keys of the search attributes, for starts and for reading a described run. */
export const SEARCH_ATTRIBUTE_KEYS = {
  DharmaRequester: defineSearchAttributeKey('DharmaRequester', SearchAttributeType.KEYWORD),
  DharmaEnvironment: defineSearchAttributeKey('DharmaEnvironment', SearchAttributeType.KEYWORD),
  DharmaTarget: defineSearchAttributeKey('DharmaTarget', SearchAttributeType.KEYWORD),
  DharmaState: defineSearchAttributeKey('DharmaState', SearchAttributeType.KEYWORD),
} as const satisfies Record<DharmaSearchAttribute, unknown>;

/** Typed search attribute pairs for a workflow start. */
export function searchAttributePairs(
  values: Partial<Record<DharmaSearchAttribute, string>>,
): SearchAttributePair[] {
  return Object.entries(values).map(([name, value]) => ({
    key: SEARCH_ATTRIBUTE_KEYS[name as DharmaSearchAttribute],
    value: String(value),
  }));
}
