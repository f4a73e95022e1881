import { ArgsType, Field, ID } from 'type-graphql';
import { IsUUID } from 'class-validator';

@ArgsType()
export class IdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a UUID' })
  id: string;
}
