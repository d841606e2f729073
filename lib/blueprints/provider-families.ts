import type { BlueprintProvider } from './schema.js';

/**
 * Terraform providers (by local name, the resource type prefix) each blueprint provider may use.
 * `local` blueprints target what runs on a laptop: the local PostgreSQL through cyrilgdn/postgresql.
 */
export const FAMILY_PROVIDERS: Record<BlueprintProvider, readonly string[]> = {
  aws: ['aws'],
  azure: ['azurerm', 'azuread'],
  gcp: ['google'],
  local: ['postgresql'],
};

/** Providers with no cloud behind them, allowed in every blueprint (names, passwords, files, timers). */
export const UTILITY_PROVIDERS: readonly string[] = ['random', 'null', 'local', 'time'];

/** The provider of a resource type: the part before the first underscore (`postgresql_role` → postgresql). */
export function providerOfType(resourceType: string): string {
  return resourceType.slice(0, resourceType.indexOf('_'));
}

export function allowedProviders(provider: BlueprintProvider): readonly string[] {
  return [...FAMILY_PROVIDERS[provider], ...UTILITY_PROVIDERS];
}
