import type { BlueprintProvider } from './schema.js';

/**
 * Terraform providers (by local name, the resource type prefix) each blueprint provider may use.
 * `local` blueprints target what runs on a laptop through Dharma's own provider (dharma_postgresql_*
 * against the local PostgreSQL, dharma_random_string, dharma_file).
 */
export const FAMILY_PROVIDERS: Record<BlueprintProvider, readonly string[]> = {
  aws: ['aws'],
  azure: ['azurerm', 'azuread'],
  gcp: ['google'],
  local: ['dharma'],
};

/**
 * Built into OpenTofu/Terraform (`terraform_data`): usable without a `required_providers` entry, and
 * not installable from a mirror.
 */
export const BUILTIN_PROVIDERS: readonly string[] = ['terraform'];

/** Providers with no cloud behind them, allowed in every blueprint (timers, `terraform_data`). */
export const UTILITY_PROVIDERS: readonly string[] = ['time', ...BUILTIN_PROVIDERS];

/** The provider of a resource type: the part before the first underscore (`dharma_file` → dharma). */
export function providerOfType(resourceType: string): string {
  return resourceType.slice(0, resourceType.indexOf('_'));
}

export function isBuiltinProvider(provider: string): boolean {
  return BUILTIN_PROVIDERS.includes(provider);
}

export function allowedProviders(provider: BlueprintProvider): readonly string[] {
  return [...FAMILY_PROVIDERS[provider], ...UTILITY_PROVIDERS];
}
