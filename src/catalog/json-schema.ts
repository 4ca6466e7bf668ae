/**
 * JSON Schema (draft 2020-12) for the event catalog, with ajv: a registered type's schema is
 * compiled once (an invalid schema is refused with what is wrong with it), and a body is checked
 * against it, each problem named by an RFC 6901 JSON pointer into the body.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { SchemaError } from '../schemas/event-type';

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv);

export type BodyValidator = (body: unknown) => SchemaError[];

/** Problems reported at the most for one body. */
const MAX_ERRORS = 20;

/** Compiles a schema; throws `InvalidSchemaError` saying what is wrong with it. */
export function compileBodySchema(schema: Record<string, unknown>): BodyValidator {
  // A schema may name its own dialect; anything but 2020-12 would be read as 2020-12 silently.
  const dialect = schema.$schema;
  if (dialect !== undefined && dialect !== 'https://json-schema.org/draft/2020-12/schema') {
    throw new InvalidSchemaError(`$schema must be https://json-schema.org/draft/2020-12/schema (or absent), not ${JSON.stringify(dialect)}`);
  }
  const { $id: _id, ...anonymous } = schema; // ids would collide between versions of a type in ajv's registry
  let validate;
  try {
    validate = ajv.compile(anonymous);
  } catch (err) {
    throw new InvalidSchemaError((err as Error).message);
  }
  return (body) => {
    if (validate(body)) return [];
    return (validate.errors ?? []).slice(0, MAX_ERRORS).map((error) => ({
      pointer: error.instancePath === '' ? '' : error.instancePath,
      message: error.keyword === 'additionalProperties'
        ? `must not have property ${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)}`
        : error.keyword === 'required'
          ? `must have property ${JSON.stringify((error.params as { missingProperty: string }).missingProperty)}`
          : (error.message ?? error.keyword),
    }));
  };
}

export class InvalidSchemaError extends Error {
  constructor(message: string) {
    super(`invalid JSON Schema: ${message}`);
    this.name = 'InvalidSchemaError';
  }
}
