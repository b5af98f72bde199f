// GoogleMapsSearchBlock (AutoGPT's blocks/google_maps.py): a text search on Google's Places API (New), a page of up to
// 20 places at a time, with a Maps API key.
import { Type } from "@sinclair/typebox";
import type { HttpResponse } from "../../infra/http/client.js";
import { CredentialsField, requireCredentials } from "../credentials.js";
import { inputs, Nullable, outputs } from "../fields.js";
import { type Block, defineBlock } from "../sdk.js";
import { scriptedHttp, testCredentials } from "../test-http.js";
import { providerClient } from "./common.js";

const PLACES_API = "https://places.googleapis.com";
const PAGE_SIZE = 20;
/** Text Search bills a page by its most expensive field: phone, website, rating and reviews make it Enterprise. */
const SEARCH_FIELDS = [
  "places.id",
  "places.displayName",
  "places.formattedAddress",
  "places.location",
  "places.googleMapsUri",
  "places.nationalPhoneNumber",
  "places.websiteUri",
  "places.rating",
  "places.userRatingCount",
  "nextPageToken",
].join(",");

/** What to tell the user for Google's error reasons, as AutoGPT words them. */
const ERROR_HINTS: Record<string, string> = {
  API_KEY_INVALID: "Google rejected the Maps API key. Check the key saved in your Google Maps credentials.",
  SERVICE_DISABLED:
    "Places API (New) isn't enabled on the Google Cloud project that owns this Maps API key. Enable it in the Google Cloud console under APIs & Services, then try again.",
  API_KEY_SERVICE_BLOCKED:
    "This Maps API key isn't allowed to call Places API (New). Add it to the key's API restrictions in the Google Cloud console.",
};

const Place = Type.Object(
  {
    name: Type.String({ title: "Name" }),
    address: Type.String({ title: "Address" }),
    phone: Type.String({ title: "Phone" }),
    rating: Type.Number({ title: "Rating" }),
    reviews: Type.Integer({ title: "Reviews" }),
    website: Type.String({ title: "Website" }),
    place_id: Type.String({ title: "Place Id", description: "Google Maps place ID", default: "" }),
    latitude: Nullable(Type.Number(), { title: "Latitude", description: "Latitude in degrees", default: null }),
    longitude: Nullable(Type.Number(), { title: "Longitude", description: "Longitude in degrees", default: null }),
    google_maps_url: Type.String({
      title: "Google Maps Url",
      description: "Link to the place on Google Maps",
      default: "",
    }),
  },
  { title: "Place" },
);

type PlacesPlace = {
  id?: string;
  displayName?: { text?: string };
  formattedAddress?: string;
  nationalPhoneNumber?: string;
  rating?: number;
  userRatingCount?: number;
  websiteUri?: string;
  location?: { latitude?: number; longitude?: number };
  googleMapsUri?: string;
};

/** A Places API (New) place as the block's Place output. */
function toPlace(place: PlacesPlace) {
  const location = place.location;
  const hasLocation = location && Object.keys(location).length > 0;
  return {
    name: place.displayName?.text ?? "",
    address: place.formattedAddress ?? "",
    phone: place.nationalPhoneNumber ?? "",
    rating: place.rating ?? 0,
    reviews: place.userRatingCount ?? 0,
    website: place.websiteUri ?? "",
    place_id: place.id ?? "",
    latitude: hasLocation ? (location.latitude ?? 0) : null,
    longitude: hasLocation ? (location.longitude ?? 0) : null,
    google_maps_url: place.googleMapsUri ?? "",
  };
}

/** A message the user can act on, for a failed Text Search request (AutoGPT's search_error). */
function searchError(response: HttpResponse): string {
  let error: { message?: string; details?: Array<{ reason?: string }> } = {};
  try {
    const body = response.json<{ error?: typeof error }>();
    error = (body && typeof body === "object" && body.error) || {};
  } catch {
    // no JSON body
  }
  for (const detail of error.details ?? []) {
    const hint = ERROR_HINTS[detail.reason ?? ""];
    if (hint) return hint;
  }
  if (response.status === 429) {
    return "This Maps API key has run out of Places API (New) quota. Try again later, or raise the quota in the Google Cloud console.";
  }
  if (response.status >= 500) return `Places API (New) had a temporary problem (HTTP ${response.status}). Try again.`;
  return `Places API (New) rejected the search (HTTP ${response.status}): ${error.message || "no details given"}`;
}

const place = {
  name: "Test Restaurant",
  address: "123 Test St, New York, NY 10001",
  phone: "(555) 123-4567",
  rating: 4.5,
  reviews: 100,
  website: "https://testrestaurant.com",
  place_id: "ChIJTestRestaurant0123456789",
  latitude: 40.7505,
  longitude: -73.9934,
  google_maps_url: "https://maps.google.com/?cid=1234567890",
};

export const googleMapsSearch = defineBlock({
  id: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
  name: "GoogleMapsSearchBlock",
  description:
    "Search Google Maps for businesses and other places that match a text query. Returns each place's name, address, phone, rating, review count, website, place ID, coordinates and Google Maps link.",
  categories: ["SEARCH"],
  input: inputs({
    credentials: CredentialsField({
      providers: ["google_maps"],
      types: ["api_key"],
      description: "Google Maps API Key",
    }),
    query: Type.String({
      description: "Search query for local businesses",
      placeholder: "e.g., 'restaurants in New York'",
    }),
    radius: Type.Integer({
      description:
        "Not used: Google needs a centre point to apply a radius, so name the area in the query instead. Kept so existing agents still load.",
      default: 5000,
      minimum: 1,
      maximum: 50000,
      advanced: true,
    }),
    max_results: Type.Integer({
      description: "Maximum number of results to return (max 60)",
      default: 20,
      minimum: 1,
      maximum: 60,
    }),
  }),
  output: outputs({ place: { ...Place, description: "Place found" } }),
  async *run({ query, max_results }, ctx) {
    const { api_key } = requireCredentials(ctx, "Google Maps", ["api_key"]);
    const api = providerClient(ctx, "google_maps", PLACES_API);
    const places: ReturnType<typeof toPlace>[] = [];
    let pageToken = "";
    while (places.length < max_results) {
      const body: Record<string, unknown> = {
        textQuery: query,
        pageSize: Math.min(PAGE_SIZE, max_results - places.length),
      };
      if (pageToken) body.pageToken = pageToken;
      const response = await api.request({
        url: "/v1/places:searchText",
        method: "POST",
        headers: { "x-goog-api-key": api_key, "x-goog-fieldmask": SEARCH_FIELDS },
        json: body,
        maxRedirects: 0,
        retry: { attempts: 3 },
      });
      if (!response.ok) throw new Error(searchError(response));
      const page = response.json<{ places?: PlacesPlace[]; nextPageToken?: string }>();
      places.push(...(page.places ?? []).map(toPlace));
      pageToken = page.nextPageToken ?? "";
      if (!pageToken) break;
    }
    for (const found of places.slice(0, max_results)) yield ["place", found];
  },
  test: [
    {
      input: {
        credentials: { id: "01234567-89ab-cdef-0123-456789abcdef", provider: "google_maps", type: "api_key" },
        query: "restaurants in new york",
        radius: 5000,
        max_results: 5,
      },
      output: [["place", place]],
      context: {
        credentials: testCredentials({ provider: "google_maps", type: "api_key", api_key: "mock-google-maps-api-key" }),
        http: scriptedHttp(() => ({
          json: {
            places: [
              {
                id: place.place_id,
                displayName: { text: place.name },
                formattedAddress: place.address,
                nationalPhoneNumber: place.phone,
                rating: place.rating,
                userRatingCount: place.reviews,
                websiteUri: place.website,
                location: { latitude: place.latitude, longitude: place.longitude },
                googleMapsUri: place.google_maps_url,
              },
            ],
          },
        })),
      },
    },
  ],
});

export const googleMapsBlocks: Block[] = [googleMapsSearch];
