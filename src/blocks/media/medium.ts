// PublishToMediumBlock: a post published to Medium (POST /v1/users/{authorId}/posts) with the user's integration token.
import { Type } from "@sinclair/typebox";
import { CredentialsField } from "../credentials.js";
import { inputs, Nullable, outputs, StringEnum } from "../fields.js";
import { type Block, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { apiKeyOf, bodyText, exampleCredentialsInput, jsonOf } from "./shared.js";

export const MEDIUM_BASE_URL = "https://api.medium.com/v1";

interface MediumAnswer {
  data?: { id: string; url: string; publishedAt: number };
  errors?: Array<{ message?: string }>;
}

export const publishToMedium = defineBlock({
  id: "3f7b2dcb-4a78-4e3f-b0f1-88132e1b89df",
  name: "PublishToMediumBlock",
  description: "Publishes a post to Medium.",
  categories: ["SOCIAL"],
  input: inputs({
    author_id: Type.String({
      description:
        'The Medium AuthorID of the user. You can get this by calling the /me endpoint of the Medium API.\n\ncurl -H "Authorization: Bearer YOUR_ACCESS_TOKEN" https://api.medium.com/v1/me" the response will contain the authorId field.',
      placeholder: "Enter the author's Medium AuthorID",
      secret: true,
    }),
    title: Type.String({ description: "The title of your Medium post", placeholder: "Enter your post title" }),
    content: Type.String({
      description: "The main content of your Medium post",
      placeholder: "Enter your post content",
    }),
    content_format: Type.String({
      description: "The format of the content: 'html' or 'markdown'",
      placeholder: "html",
    }),
    tags: Type.Array(Type.String(), {
      description: "List of tags for your Medium post (up to 5)",
      placeholder: "['technology', 'AI', 'blogging']",
    }),
    canonical_url: Nullable(Type.String(), {
      description: "The original home of this content, if it was originally published elsewhere",
      placeholder: "https://yourblog.com/original-post",
      default: null,
    }),
    publish_status: StringEnum(["public", "draft", "unlisted"], {
      description: "The publish status",
      placeholder: "draft",
    }),
    license: Type.String({
      description:
        "The license of the post: 'all-rights-reserved', 'cc-40-by', 'cc-40-by-sa', 'cc-40-by-nd', 'cc-40-by-nc', 'cc-40-by-nc-nd', 'cc-40-by-nc-sa', 'cc-40-zero', 'public-domain'",
      placeholder: "all-rights-reserved",
      default: "all-rights-reserved",
    }),
    notify_followers: Type.Boolean({
      description: "Whether to notify followers that the user has published",
      placeholder: "False",
      default: false,
    }),
    credentials: CredentialsField({
      providers: ["medium"],
      types: ["api_key"],
      description:
        "The Medium integration can be used with any API key with sufficient permissions for the blocks it is used on.",
    }),
  }),
  output: outputs({
    post_id: Type.String({ description: "The ID of the created Medium post" }),
    post_url: Type.String({ description: "The URL of the created Medium post" }),
    published_at: Type.Integer({ description: "The timestamp when the post was published" }),
    error: Type.String({ description: "Error message if the post creation failed" }),
  }),
  async *run(input, ctx) {
    const key = apiKeyOf(ctx, "medium");
    const api = ctx.http.forProvider("medium", MEDIUM_BASE_URL);
    const res = await api.request({
      url: `/users/${encodeURIComponent(input.author_id)}/posts`,
      method: "POST",
      headers: { authorization: `Bearer ${key}`, accept: "application/json" },
      json: {
        title: input.title,
        content: input.content,
        contentFormat: input.content_format,
        tags: input.tags,
        canonicalUrl: input.canonical_url,
        publishStatus: input.publish_status,
        license: input.license,
        notifyFollowers: input.notify_followers,
      },
    });
    ctx.reportUsage({ requests: 1 });
    const answer = jsonOf<MediumAnswer>(res) ?? {};
    if (!res.ok || !answer.data) {
      const message =
        answer.errors?.[0]?.message ?? (res.ok ? "Unknown error occurred" : `${res.status} ${bodyText(res)}`);
      throw new Error(`Failed to create Medium post: ${message}`);
    }
    yield ["post_id", answer.data.id];
    yield ["post_url", answer.data.url];
    yield ["published_at", answer.data.publishedAt];
  },
  test: [
    {
      input: {
        credentials: exampleCredentialsInput("medium"),
        author_id: "1234567890abcdef",
        title: "Test Post",
        content: "<h1>Test Content</h1><p>This is a test post.</p>",
        content_format: "html",
        tags: ["test", "automation"],
        publish_status: "draft",
      },
      output: [
        ["post_id", "e6f36a"],
        ["post_url", "https://medium.com/@username/test-post-e6f36a"],
        ["published_at", 1626282600],
      ],
      context: {
        http: scriptedHttp(() => ({
          status: 201,
          json: {
            data: {
              id: "e6f36a",
              url: "https://medium.com/@username/test-post-e6f36a",
              authorId: "1234567890abcdef",
              publishedAt: 1626282600,
            },
          },
        })),
        credentials: testCredentials({ provider: "medium", type: "api_key", api_key: "mock-medium-api-key" }),
      },
    },
  ],
});

export const mediumBlocks: Block[] = [publishToMedium];
