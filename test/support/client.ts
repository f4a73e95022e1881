import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export interface GraphQLErrorShape {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

export interface GraphQLResponse<TData> {
  status: number;
  data?: TData | null;
  errors?: GraphQLErrorShape[];
}

/** An HTTP GraphQL client for one caller, typed by the codegen documents. */
export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly token?: string,
    /** Sent with every request, e.g. `x-client-session` to act as one window. */
    readonly headers: Record<string, string> = {},
  ) {}

  as(token: string | undefined): GraphQLClient {
    return new GraphQLClient(this.url, token);
  }

  /** The same caller acting as one of its windows (the X-Client-Session header). */
  asWindow(sessionId: string): GraphQLClient {
    return new GraphQLClient(this.url, this.token, {
      ...this.headers,
      'x-client-session': sessionId,
    });
  }

  async request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables> | string,
    variables?: TVariables,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<TData>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...this.headers,
        ...headers,
      },
      body: JSON.stringify({
        query: typeof document === 'string' ? document : print(document),
        variables,
      }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse<TData>, 'status'>;
    return { status: response.status, ...body };
  }

  /** The data of a request that must succeed; fails the test with the errors otherwise. */
  async ok<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables?: TVariables,
  ): Promise<TData> {
    const result = await this.request(document, variables);
    if (result.errors?.length || !result.data) {
      throw new Error(`expected success, got ${JSON.stringify(result.errors ?? result)}`);
    }
    return result.data;
  }

  /** The first error of a request that must fail. */
  async fails<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables> | string,
    variables?: TVariables,
  ): Promise<GraphQLErrorShape> {
    const result = await this.request(document, variables);
    const error = result.errors?.[0];
    if (!error) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
    return error;
  }
}
