// How AutoGPT names the graph-level field a node's credentials pin is merged into (aggregate_credentials_inputs).

/**
 * The credentials_input_schema field a credentials pin of a node belongs to: its providers (narrowed to one by the
 * discriminator's chosen value, as AutoGPT does), its types, and the field's `<providers>_<types>_credentials` key.
 */
export function credentialsField(pin: Record<string, unknown>, inputDefault: Record<string, unknown>) {
  let providers = [...((pin.credentials_provider as string[] | undefined) ?? [])];
  const types = [...((pin.credentials_types as string[] | undefined) ?? [])];
  const discriminator = typeof pin.discriminator === "string" ? pin.discriminator : undefined;
  const mapping = pin.discriminator_mapping as Record<string, string> | undefined;
  const chosen = discriminator ? inputDefault[discriminator] : undefined;
  if (mapping && typeof chosen === "string" && mapping[chosen]) providers = [mapping[chosen]];
  const key = `${[...providers].sort().join("_")}_${[...types].sort().join("_")}_credentials`;
  return { key, providers, types, discriminator, mapping, chosen };
}
