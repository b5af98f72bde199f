// The store (AutoGPT's marketplace) read side: listings, creators, the caller's profile and submissions.
//
// Agentry has no marketplace listings, creator profiles or submissions yet: the lists are the real, empty ones and a
// named agent, listing version, creator or the caller's profile does not exist. v1's /store and v2's /marketplace
// both answer from here.
import { ApiError } from "../core/errors.js";

export interface Page<T> {
  items: T[];
  total: number;
}

export interface AgentQuery {
  featured?: boolean;
  creator?: string;
  category?: string;
  searchQuery?: string;
  sortedBy?: "rating" | "runs" | "name" | "updated_at";
}

export interface CreatorQuery {
  featured?: boolean;
  searchQuery?: string;
  sortedBy?: "agent_rating" | "agent_runs" | "num_agents";
}

/** A listing as both APIs need it; none exist yet. */
export interface StoreListing {
  slug: string;
  name: string;
  creator: string;
}

export interface CreatorProfile {
  username: string;
  name: string;
}

const empty = <T>(): Page<T> => ({ items: [], total: 0 });

export class StoreService {
  async listAgents(_query: AgentQuery): Promise<Page<StoreListing>> {
    return empty();
  }

  /** A listing by creator username and agent slug (both case-insensitive). */
  async getAgent(username: string, agentName: string): Promise<StoreListing> {
    const user = username.toLowerCase();
    const slug = agentName.toLowerCase();
    throw ApiError.notFound(`Store agent ${user}/${slug}`, { username: user, agent_name: slug });
  }

  async getAgentByListingVersion(versionId: string): Promise<StoreListing> {
    throw ApiError.notFound(`Store listing version #${versionId}`);
  }

  async listCreators(_query: CreatorQuery): Promise<Page<CreatorProfile>> {
    return empty();
  }

  async getCreator(username: string): Promise<CreatorProfile> {
    const user = username.toLowerCase();
    throw ApiError.notFound(`Store creator ${user}`, { username: user });
  }

  /** The caller's creator profile. */
  async profile(_userId: string): Promise<CreatorProfile> {
    throw ApiError.notFound("Profile");
  }

  async listSubmissions(_userId: string): Promise<Page<never>> {
    return empty();
  }
}
