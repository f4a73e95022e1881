import { GraphQLError } from 'graphql';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from '../../src/db/errors';

describe('isDatabaseUnavailable (SERVICE_UNAVAILABLE rather than a masked 500)', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
  });

  it.each([
    ['a refused connection', refused],
    ['a broken connection', new Error('Connection terminated unexpectedly')],
    ['no connection in time', new Error('timeout exceeded when trying to connect')],
    [
      'the server shutting down',
      Object.assign(new Error('terminating connection'), { code: '57P01' }),
    ],
    [
      'the server starting',
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    ],
    ['a connection failure (class 08)', Object.assign(new Error('x'), { code: '08006' })],
    [
      'one wrapped by TypeORM and GraphQL',
      new GraphQLError('x', { originalError: new QueryFailedError('SELECT 1', [], refused) }),
    ],
  ])('says yes for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a syntax error', Object.assign(new Error('syntax error'), { code: '42601' })],
    ['an error of ours', new Error('something else')],
    ['nothing', undefined],
  ])('says no for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
