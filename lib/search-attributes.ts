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
