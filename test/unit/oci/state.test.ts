import { describe, expect, it } from 'vitest';
import { type OciState, parseOciState, resolveStage, stageOfArgument } from '../../../src/oci/state.js';
import { errorOf } from '../helpers/error-of.js';


const state = (fields: Record<string, unknown>): string => JSON.stringify({ ociVersion: '1.0.2', id: 'abc', status: 'creating', ...fields });
const ID_CHARS = 'invalid OCI state: id: may hold only letters, digits and _ + . -';

describe('parseOciState', () => {
  it('accepts the state runc writes', () => {
    expect(parseOciState('{"ociVersion":"1.0.2-dev","id":"abc","status":"creating","pid":123,"bundle":"/x"}')).toStrictEqual({
      ociVersion: '1.0.2-dev',
      id: 'abc',
      status: 'creating',
      pid: 123,
      bundle: '/x',
    });
  });

  it.each([
    [state({ annotations: { 'ipper.bridge': 'lab0' } }), { ociVersion: '1.0.2', id: 'abc', status: 'creating', annotations: { 'ipper.bridge': 'lab0' } }],
    [state({ id: 'A-z_0+9.x', status: 'stopped', extra: true }), { ociVersion: '1.0.2', id: 'A-z_0+9.x', status: 'stopped' }],
    [state({ ociVersion: '1.2.0', id: 'x'.repeat(1024), status: 'created' }), { ociVersion: '1.2.0', id: 'x'.repeat(1024), status: 'created' }],
  ])('accepts %s', (text, expected) => {
    expect(parseOciState(text)).toStrictEqual(expected);
  });

  it.each(['creating', 'created', 'running', 'stopped'])('accepts status %s', (status) => {
    expect(parseOciState(state({ status })).status).toBe(status);
  });

  it.each([
    ['', 'OCI state on stdin is empty'],
    [' \n\t ', 'OCI state on stdin is empty'],
    ['not json', 'OCI state on stdin is not valid JSON: Unexpected token \'o\', "not json" is not valid JSON'],
    ['[]', 'invalid OCI state: expected object, received array'],
    ['"abc"', 'invalid OCI state: expected object, received string'],
    ['null', 'invalid OCI state: expected object, received null'],
    [state({ ociVersion: 1 }), 'invalid OCI state: ociVersion: expected string, received number'],
    [state({ id: 7 }), 'invalid OCI state: id: expected string, received number'],
    [state({ id: undefined }), 'invalid OCI state: id: expected string, received undefined'],
    [state({ pid: '123' }), 'invalid OCI state: pid: expected number, received string'],
    [state({ pid: 0 }), 'invalid OCI state: pid: must be a positive pid'],
    [state({ pid: 1.5 }), 'invalid OCI state: pid: must be a whole number, not 1.5'],
    [state({ annotations: { a: 1 } }), 'invalid OCI state: annotations.a: expected string, received number'],
    [state({ id: '' }), 'invalid OCI state: id: must not be empty'],
    [state({ id: '.' }), 'invalid OCI state: id: must not be "." or ".."'],
    [state({ id: '..' }), 'invalid OCI state: id: must not be "." or ".."'],
    [state({ id: 'a/b' }), ID_CHARS],
    [state({ id: '../etc' }), ID_CHARS],
    [state({ id: 'a\0b' }), ID_CHARS],
    [state({ id: 'a\nb' }), ID_CHARS],
    [state({ id: 'abc\n' }), ID_CHARS],
    [state({ id: 'a;b' }), ID_CHARS],
    [state({ id: '$(x)' }), ID_CHARS],
    [state({ id: 'a b' }), ID_CHARS],
    [state({ id: 'x'.repeat(1025) }), 'invalid OCI state: id: must be at most 1024 characters'],
    [state({ ociVersion: '2.0.0' }), 'invalid OCI state: ociVersion: must be a 1.x.y version'],
    [state({ ociVersion: 'abc' }), 'invalid OCI state: ociVersion: must be a 1.x.y version'],
    [state({ ociVersion: '1.0' }), 'invalid OCI state: ociVersion: must be a 1.x.y version'],
    [state({ status: 'paused' }), 'invalid OCI state: status: must be one of "creating", "created", "running", "stopped"'],
    [state({ status: 'Creating' }), 'invalid OCI state: status: must be one of "creating", "created", "running", "stopped"'],
  ])('%j → %s', (text, message) => {
    const error = errorOf(() => parseOciState(text));
    expect(error.code).toBe('INVALID_OCI_STATE');
    expect(error.exitCode).toBe(65);
    expect(error.message).toBe(message);
  });
});

describe('resolveStage', () => {
  const withStatus = (status: OciState['status']): OciState => ({ ociVersion: '1.0.2', id: 'abc', status });

  it.each([
    ['createRuntime', 'creating', 'createRuntime'],
    ['createRuntime', 'created', 'createRuntime'],
    // prestart: deprecated for network hooks, still run by runc and crun at the same point.
    ['prestart', 'creating', 'createRuntime'],
    ['prestart', 'created', 'createRuntime'],
    ['poststop', 'stopped', 'poststop'],
    ['poststop', 'creating', 'poststop'],
    ['poststop', 'running', 'poststop'],
    [undefined, 'creating', 'createRuntime'],
    [undefined, 'created', 'createRuntime'],
    [undefined, 'stopped', 'poststop'],
  ] as const)('argument %s, status %s → %s', (argument, status, expected) => {
    expect(resolveStage(argument, withStatus(status))).toBe(expected);
  });

  it.each([
    ['createRuntime', 'stopped', 'createRuntime with status "stopped": expected "creating" or "created"'],
    ['createRuntime', 'running', 'createRuntime with status "running": expected "creating" or "created"'],
    ['prestart', 'stopped', 'prestart with status "stopped": expected "creating" or "created"'],
    ['Prestart', 'creating', 'unknown hook stage "Prestart": expected createRuntime, prestart or poststop'],
    ['poststart', 'running', 'unknown hook stage "poststart": expected createRuntime, prestart or poststop'],
    ['', 'creating', 'unknown hook stage "": expected createRuntime, prestart or poststop'],
    [undefined, 'running', 'cannot tell the hook stage from status "running": name it (createRuntime or poststop)'],
  ] as const)('argument %j, status %s → USAGE %s', (argument, status, message) => {
    const error = errorOf(() => resolveStage(argument, withStatus(status)));
    expect(error.code).toBe('USAGE');
    expect(error.exitCode).toBe(64);
    expect(error.message).toBe(message);
  });
});

describe('stageOfArgument', () => {
  it.each([
    ['createRuntime', 'createRuntime'],
    ['prestart', 'createRuntime'],
    ['poststop', 'poststop'],
    ['createContainer', undefined],
    ['startContainer', undefined],
    ['poststart', undefined],
    ['PRESTART', undefined],
  ] as const)('%s → %s', (argument, stage) => {
    expect(stageOfArgument(argument)).toBe(stage);
  });
});
