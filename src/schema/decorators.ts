import { createParameterDecorator, Extensions } from 'type-graphql';
import type { Auth } from '../context/auth';
import type { Context } from '../context/context';
import { UnauthenticatedError } from '../errors/domain-error';

/** Marks a root field as callable without signing in. Everything else requires a caller. */
export function Public(): MethodDecorator & PropertyDecorator & ClassDecorator {
  return Extensions({ public: true });
}

/** The authenticated caller of a context. */
export function authOf(context: unknown): Auth {
  const { auth } = context as Context;
  if (!auth) throw new UnauthenticatedError();
  return auth;
}

/** The authenticated caller, as a resolver parameter. */
export function CurrentAuth() {
  return createParameterDecorator<Context>(({ context }) => authOf(context));
}
