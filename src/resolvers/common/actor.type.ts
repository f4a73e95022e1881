import { Ctx, Field, FieldResolver, ID, ObjectType, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context/context';
import { AuthorKind } from '../../entities/enums';
import { Staff } from '../../entities/staff.entity';

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
  staff(@Root() actor: Actor, @Ctx() { loaders }: Context): Promise<Staff | null> | null {
    return actor.kind === AuthorKind.STAFF && actor.id ? loaders.staff.load(actor.id) : null;
  }
}
