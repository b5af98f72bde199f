// WordPressCreatePostBlock: a published post on a WordPress.com or Jetpack site (REST v1.1 posts/new) with the
// user's WordPress OAuth2 token.
import { Type } from "@sinclair/typebox";
import { authHeader, CredentialsField, requireCredentials } from "../credentials.js";
import { Dict, inputs, Nullable, outputs } from "../fields.js";
import { type Block, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { bodyText, exampleCredentialsInput, jsonOf } from "./shared.js";

export const WORDPRESS_BASE_URL = "https://public-api.wordpress.com";

/** Python's str() of a form value, as AutoGPT's form encoding sends it. */
const formValue = (v: unknown) => (typeof v === "boolean" ? (v ? "True" : "False") : String(v));

/** AutoGPT's CreatePostRequest without its None fields, form-encoded (lists repeated, categories and tags joined). */
export function postForm(input: {
  title: string;
  content: string;
  excerpt: string | null;
  slug: string | null;
  author: string | null;
  categories: string[];
  tags: string[];
  featured_image: string | null;
  media_urls: string[];
  publish_as_draft: boolean;
}): URLSearchParams {
  const fields: Array<[string, unknown]> = [
    ["title", input.title],
    ["content", input.content],
    ["excerpt", input.excerpt],
    ["slug", input.slug],
    ["author", input.author],
    ["status", input.publish_as_draft ? "draft" : "publish"],
    ["sticky", false],
    ["type", "post"],
    ["categories", input.categories.join(",")],
    ["tags", input.tags.join(",")],
    ["featured_image", input.featured_image],
    ["media_urls", input.media_urls],
    ["publicize", true],
    ["sharing_enabled", true],
  ];
  const form = new URLSearchParams();
  for (const [key, value] of fields) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) form.append(key, formValue(item));
    else form.append(key, formValue(value));
  }
  return form;
}

export const wordpressCreatePost = defineBlock({
  id: "ee4fe08c-18f9-442f-a985-235379b932e1",
  name: "WordPressCreatePostBlock",
  description: "Create a new post on WordPress.com or Jetpack sites",
  categories: ["SOCIAL"],
  input: inputs({
    credentials: CredentialsField({ providers: ["wordpress"], types: ["oauth2"], scopes: ["posts"] }),
    site: Type.String({ description: "Site ID or domain (e.g., 'myblog.wordpress.com' or '123456789')" }),
    title: Type.String({ description: "The post title" }),
    content: Type.String({ description: "The post content (HTML supported)" }),
    excerpt: Nullable(Type.String(), { description: "An optional post excerpt/summary", default: null }),
    slug: Nullable(Type.String(), {
      description: "The URL slug for the post (auto-generated if not provided)",
      default: null,
    }),
    author: Nullable(Type.String(), {
      description: "Username or ID of the author (defaults to authenticated user)",
      default: null,
    }),
    categories: Type.Array(Type.String(), { description: "List of category names or IDs", default: [] }),
    tags: Type.Array(Type.String(), { description: "List of tag names or IDs", default: [] }),
    featured_image: Nullable(Type.String(), {
      description: "Post ID of an existing attachment to set as featured image",
      default: null,
    }),
    media_urls: Type.Array(Type.String(), {
      description: "URLs of images to sideload and attach to the post",
      default: [],
    }),
    publish_as_draft: Type.Boolean({
      description: "If True, publishes the post as a draft. If False, publishes it publicly.",
      default: false,
    }),
  }),
  output: outputs({
    site: Type.String({ description: "The site ID or domain (pass-through for chaining with other blocks)" }),
    post_id: Type.Integer({ description: "The ID of the created post" }),
    post_url: Type.String({ description: "The full URL of the created post" }),
    short_url: Type.String({ description: "The shortened wp.me URL" }),
    post_data: Dict({ description: "Complete post data returned by API" }),
  }),
  costs: [{ cost_amount: 1, cost_filter: {}, cost_type: "run" }],
  async *run(input, ctx) {
    const credentials = requireCredentials(ctx, "wordpress", ["oauth2"]);
    const api = ctx.http.forProvider("wordpress", WORDPRESS_BASE_URL);
    const res = await api.request({
      url: `/rest/v1.1/sites/${encodeURIComponent(input.site)}/posts/new`,
      method: "POST",
      headers: { authorization: authHeader(credentials), "content-type": "application/x-www-form-urlencoded" },
      body: postForm(input).toString(),
    });
    ctx.reportUsage({ requests: 1 });
    const post = jsonOf<Record<string, unknown>>(res);
    if (!res.ok || !post) {
      const message = typeof post?.message === "string" ? post.message : bodyText(res);
      throw new Error(`Failed to create post: ${res.status} - ${message}`);
    }
    yield ["site", input.site];
    yield ["post_id", post.ID];
    yield ["post_url", post.URL];
    yield ["short_url", post.short_URL];
    yield ["post_data", post];
  },
  test: [
    {
      input: {
        credentials: exampleCredentialsInput("wordpress", "oauth2"),
        site: "myblog.wordpress.com",
        title: "Hello",
        content: "<p>World</p>",
      },
      output: [
        ["site", "myblog.wordpress.com"],
        ["post_id", 7],
        ["post_url", "https://myblog.wordpress.com/2026/01/01/hello/"],
        ["short_url", "https://wp.me/p1-7"],
        ["post_data", (v: unknown) => (v as { ID?: number }).ID === 7],
      ],
      context: {
        http: scriptedHttp(() => ({
          json: { ID: 7, URL: "https://myblog.wordpress.com/2026/01/01/hello/", short_URL: "https://wp.me/p1-7" },
        })),
        credentials: testCredentials({ provider: "wordpress", type: "oauth2", access_token: "mock-wordpress-token" }),
      },
    },
  ],
});

export const wordpressBlocks: Block[] = [wordpressCreatePost];
