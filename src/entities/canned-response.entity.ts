import { Field, Int, ObjectType } from 'type-graphql';
import { Check, Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { Campaign } from './campaign.entity';
import { OrganizationRecord } from './organization-record';

/**
 * A prepared reply of a campaign (C2, C6). With `templateName` it is an approved WhatsApp
 * template, the only thing that may be sent outside the customer-service window.
 */
@ObjectType({
  description:
    'A prepared reply of a campaign; with templateName and templateLanguage, an approved WhatsApp template.',
})
@Entity('canned_response')
@Index('idx_canned_response_campaign_id', ['campaignId', 'position'])
@Check('chk_canned_response_template', '(template_name IS NULL) = (template_language IS NULL)')
export class CannedResponse extends OrganizationRecord {
  @Column('uuid')
  campaignId: string;

  @ManyToOne(() => Campaign, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'campaign_id' })
  campaign?: Relation<Campaign>;

  @Field()
  @Column('text')
  title: string;

  @Field()
  @Column('text')
  body: string;

  @Field(() => String, { nullable: true, description: 'The approved template it sends, if any.' })
  @Column('text', { nullable: true })
  templateName: string | null;

  @Field(() => String, { nullable: true, description: "The template's language code, e.g. en_US." })
  @Column('text', { nullable: true })
  templateLanguage: string | null;

  @Field(() => Int, { description: 'Its place in the campaign’s list.' })
  @Column('integer')
  position: number;
}
