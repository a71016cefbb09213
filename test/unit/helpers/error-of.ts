import { expect } from 'vitest';
import { IpperError } from '../../../src/errors.js';

/** The IpperError that `run` throws (fails the test if it throws nothing, or something else). */
export function errorOf(run: () => unknown): IpperError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(IpperError);
    return error as IpperError;
  }
  throw new Error('expected an error');
}
