import { ArgsType, type ClassType, Field, Int, ObjectType } from 'type-graphql';
import { IsOptional, IsString, Max, Min } from 'class-validator';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../db/pagination';

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field({ description: 'Always false: lists page forward only.' })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true })
  startCursor: string | null;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `At most ${MAX_PAGE_SIZE}.` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first: number;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  @IsOptional()
  @IsString()
  after?: string | null;
}

export interface ConnectionShape<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  readonly totalCount: Promise<number>;
}

/** Declares `<Name>Connection` and `<Name>Edge` for a node type. */
export function ConnectionType<T extends object>(node: ClassType<T>, name: string = node.name) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor: string;

    @Field(() => node)
    node: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} (Relay connection).` })
  class Connection implements ConnectionShape<T> {
    @Field(() => [Edge])
    edges: Edge[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    @Field(() => Int, { description: 'All matching items, not only this page.' })
    readonly totalCount: Promise<number>;
  }
  return Connection;
}

/** An edge whose cursor is read from its page when selected (pages encode them on first read). */
class PageEdge<T> {
  constructor(
    readonly node: T,
    private readonly page: Page<T>,
    private readonly index: number,
  ) {}

  get cursor(): string {
    return this.page.cursors[this.index] as string;
  }
}

/** A page's information; its cursors encoded only when one is selected. */
class PageInfoOf<T> implements PageInfo {
  readonly hasPreviousPage = false;

  constructor(private readonly page: Page<T>) {}

  get hasNextPage(): boolean {
    return this.page.hasNextPage;
  }

  get startCursor(): string | null {
    return this.page.nodes.length ? (this.page.cursors[0] as string) : null;
  }

  get endCursor(): string | null {
    const last = this.page.nodes.length - 1;
    return last >= 0 ? (this.page.cursors[last] as string) : null;
  }
}

/**
 * A page as a connection: its edges made once; its page information and count only when a
 * client selects them (getters on the prototype: a nested page on each of 50 customers makes
 * one object here, not an object and four closures).
 */
class PageConnection<T> implements ConnectionShape<T> {
  readonly edges: Array<PageEdge<T>>;

  constructor(private readonly page: Page<T>) {
    const { nodes } = page;
    const edges: Array<PageEdge<T>> = [];
    for (let i = 0; i < nodes.length; i++) edges.push(new PageEdge(nodes[i] as T, page, i));
    this.edges = edges;
  }

  get pageInfo(): PageInfo {
    return new PageInfoOf(this.page);
  }

  // A getter, so the count runs only when a client selects totalCount.
  get totalCount(): Promise<number> {
    return this.page.totalCount();
  }
}

export function toConnection<T>(page: Page<T>): ConnectionShape<T> {
  return new PageConnection(page);
}
