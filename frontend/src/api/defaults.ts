import openapi from "../../openapi.json";

type Property = { default?: unknown };
const schemas = openapi.components.schemas as unknown as Record<string, { properties?: Record<string, Property> }>;

/** The defaults a contract declares (graft.contracts, via the OpenAPI document): each one is written once, in
 * Python, and the forms start from it instead of repeating it. */
export function defaultsOf(schema: "Hparams" | "PretrainHparams" | "EmbedRequest"): Record<string, unknown> {
  const props = schemas[schema]?.properties ?? {};
  return Object.fromEntries(Object.entries(props).filter(([, p]) => "default" in p).map(([k, p]) => [k, p.default]));
}
