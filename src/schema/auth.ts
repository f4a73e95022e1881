import type { AuthChecker } from 'type-graphql';
import { type Permission, can } from '../authz/permissions';
import type { Context } from '../context/context';
import { ForbiddenError, UnauthenticatedError } from '../errors/domain-error';

/** `@Authorized(Permission.X)`: signed in, and the role holds every named permission. */
export const authChecker: AuthChecker<Context, Permission> = ({ context }, permissions) => {
  if (!context.auth) throw new UnauthenticatedError();
  if (!permissions.every((permission) => can(context.auth!, permission)))
    throw new ForbiddenError();
  return true;
};
