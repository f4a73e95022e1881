import type { GraphQLResolveInfo } from 'graphql';
import { Ctx, Field, FieldResolver, ID, Info, ObjectType, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context/context';
import { AuthorKind } from '../../entities/enums';
import { Staff } from '../../entities/staff.entity';
import { objectProperties } from '../../schema/selected-properties';
import { fromSnapshot } from '../../subscriptions/snapshot';

@ObjectType({ description: 'Who caused an event: a staff member, an API key, or Tandem itself.' })
export class Actor {
  @Field(() => AuthorKind)
  kind: AuthorKind;

  @Field(() => ID, { nullable: true, description: 'The staff member or API key id.' })
  id: string | null;

  @Field()
  name: string;
}

@Resolver(() => Actor)
export class ActorResolver {
  @FieldResolver(() => Staff, { nullable: true, description: 'Set when a staff member acted.' })
  staff(
    @Root() actor: Actor,
    @Ctx() { loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Staff | Promise<Staff | null> | null {
    if (actor.kind !== AuthorKind.STAFF || !actor.id) return null;
    // A console's event subscriptions ask who acted by id only (`staff { id }`): the actor has
    // it, and a staff row is never deleted, so the answer is the same without reading the row.
    // Read, it put a Postgres round trip between every lock event's publish and its delivery.
    const read = objectProperties(info)?.properties;
    if (read?.every((property) => property === 'id'))
      return fromSnapshot(Staff, { id: actor.id } as never);
    return loaders.staff.load(actor.id);
  }
}
