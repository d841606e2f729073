import { isBuiltinProvider } from '../blueprints/provider-families.js';
import { PINNED_PROVIDERS, requiredProviders } from '../tofu-tools.js';
import type { RequiredProvider } from './terraform-json.js';

/**
 * Cloud providers are too large to build into the laptop mirror, so configurations using them can be
 * synthesized and policy-checked but `init` needs a registry. Exact versions all the same: a plan must
 * mean the same thing wherever it is made.
 */
const CLOUD_PROVIDERS: Record<string, RequiredProvider> = {
  aws: { source: 'hashicorp/aws', version: '5.100.0' },
  azurerm: { source: 'hashicorp/azurerm', version: '4.30.0' },
  azuread: { source: 'hashicorp/azuread', version: '3.4.0' },
  google: { source: 'hashicorp/google', version: '6.35.0' },
};

/** Whether `tofu init` can install the provider from the local filesystem mirror (no network). */
export function isMirrored(provider: string): boolean {
  return PINNED_PROVIDERS.some((p) => p.type === provider);
}

/** The exact `required_providers` entry for a provider local name (e.g. `dharma`, `aws`). */
export function providerRequirement(provider: string): RequiredProvider {
  if (isBuiltinProvider(provider)) {
    throw new Error(
      `provider ${provider} is built into tofu/terraform: it takes no required_providers entry`,
    );
  }
  const cloud = CLOUD_PROVIDERS[provider];
  if (cloud) return cloud;
  const mirrored = requiredProviders([provider])[provider];
  if (!mirrored) throw new Error(`no pinned version for provider ${provider}`);
  return mirrored;
}
