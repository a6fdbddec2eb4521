// Compares a component schema of an OpenAPI document with a transcription of the one it must
// equal (original-schemas.json), field by field: the same property names, types (nullability
// included), formats, enums in the same order, constraints, defaults and required list. Spellings
// that say the same are made alike first: `"type": ["string", "null"]`, an anyOf or oneOf with
// `{"type": "null"}` and 3.0's `"nullable": true`; `allOf` of one schema and that schema;
// 10000 and 10000.0 (one number once parsed); an integer's exclusiveMinimum n and minimum n + 1
// (and the same for the maximum); a `"default": null` on a field that may be null and no default.
// Annotations (title, description, examples, ...) and additionalProperties are not compared.
'use strict';

const ANNOTATIONS = new Set(['title', 'description', 'examples', 'example', '$comment',
                             'deprecated', 'readOnly', 'writeOnly', 'externalDocs', 'xml',
                             'additionalProperties']);

/// JSON with the keys of every object sorted: equal strings for equal values.
function stable(value) {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value).sort()
      .map((k) => `${JSON.stringify(k)}:${stable(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

/// The alternatives a schema allows, each one type (or a $ref) with its keywords, annotations
/// and the default left out.
function branches(schema) {
  const s = {};
  for (const [k, v] of Object.entries(schema))
    if (!ANNOTATIONS.has(k) && k !== 'default') s[k] = v;
  if (Array.isArray(s.allOf) && s.allOf.length === 1) {
    const [only] = s.allOf;
    delete s.allOf;
    return branches({ ...s, ...only });
  }
  for (const key of ['anyOf', 'oneOf']) {
    if (Array.isArray(s[key])) {
      const alternatives = s[key];
      delete s[key];
      return alternatives.flatMap((a) => branches({ ...s, ...a }));
    }
  }
  if (Array.isArray(s.type)) return s.type.flatMap((type) => branches({ ...s, type }));
  if (s.nullable !== undefined) {
    const nullable = s.nullable === true;
    delete s.nullable;
    return nullable ? [...branches(s), { type: 'null' }] : branches(s);
  }
  if (s.type === 'null') return [{ type: 'null' }];
  // OpenAPI 3.0's boolean exclusive bounds as 3.1's numbers.
  const bounds = [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']];
  for (const [exclusive, bound] of bounds) {
    if (typeof s[exclusive] === 'boolean') {
      if (s[exclusive] && s[bound] !== undefined) {
        s[exclusive] = s[bound];
        delete s[bound];
      } else {
        delete s[exclusive];
      }
    }
  }
  if (s.type === 'integer') {
    if (typeof s.exclusiveMinimum === 'number') {
      s.minimum = Math.max(Math.floor(s.exclusiveMinimum) + 1, s.minimum ?? -Infinity);
      delete s.exclusiveMinimum;
    }
    if (typeof s.exclusiveMaximum === 'number') {
      s.maximum = Math.min(Math.ceil(s.exclusiveMaximum) - 1, s.maximum ?? Infinity);
      delete s.exclusiveMaximum;
    }
  }
  if (typeof s.$ref === 'string') s.$ref = s.$ref.slice(s.$ref.lastIndexOf('/') + 1);
  if (s.items !== undefined) s.items = canonical(s.items);
  return [s];
}

/// A schema as one value that two spellings of the same schema give alike.
function canonical(schema) {
  const alternatives = [...new Set(branches(schema).map(stable))].sort();
  const out = { anyOf: alternatives.map((a) => JSON.parse(a)) };
  const nullable = alternatives.includes(stable({ type: 'null' }));
  if ('default' in schema && !(schema.default === null && nullable)) out.default = schema.default;
  return out;
}

/// What a schema says, short: `string (minLength 1, maxLength 100) | null`.
function describe(schema) {
  const c = canonical(schema);
  const isNull = (b) => b.type === 'null' && Object.keys(b).length === 1;
  const ordered = [...c.anyOf.filter((b) => !isNull(b)), ...c.anyOf.filter(isNull)];
  const text = ordered.map((b) => {
    const { type, $ref, ...rest } = b;
    const head = $ref ? `$ref ${$ref}` : type === undefined ? 'any' : type;
    const keys = Object.entries(rest).map(([k, v]) => `${k} ${stable(v)}`);
    return keys.length ? `${head} (${keys.join(', ')})` : head;
  }).join(' | ') || 'any';
  return 'default' in c ? `${text}, default ${stable(c.default)}` : text;
}

/// The differences of `got` (the document's schema `name`) from `want` (the transcription), as
/// sentences; none when they are the same. `extra`: property names the document may add to the
/// transcription's, each optional.
function schemaDifferences(name, want, got, { extra = [] } = {}) {
  if (got === undefined) return [`${name}: the document has no such component schema`];
  const out = [];
  const rest = (s) => {
    const r = { ...s };
    delete r.properties;
    delete r.required;
    return r;
  };
  if (stable(canonical(rest(want))) !== stable(canonical(rest(got))))
    out.push(`${name}: the original is ${describe(rest(want))}, ` +
             `the document says ${describe(rest(got))}`);

  const wantProps = want.properties || {};
  const gotProps = got.properties || {};
  for (const [prop, schema] of Object.entries(wantProps)) {
    if (!(prop in gotProps)) {
      out.push(`${name}.${prop}: missing from the document`);
    } else if (stable(canonical(schema)) !== stable(canonical(gotProps[prop]))) {
      out.push(`${name}.${prop}: the original is ${describe(schema)}, ` +
               `the document says ${describe(gotProps[prop])}`);
    }
  }
  for (const prop of Object.keys(gotProps))
    if (!(prop in wantProps) && !extra.includes(prop))
      out.push(`${name}.${prop}: not in the original`);

  const wantRequired = [...(want.required || [])].sort();
  const gotRequired = [...(got.required || [])].sort();
  if (stable(wantRequired) !== stable(gotRequired))
    out.push(`${name}: required ${stable(wantRequired)} in the original, ${stable(gotRequired)} ` +
             'in the document');
  return out;
}

module.exports = { schemaDifferences, canonical, describe };
