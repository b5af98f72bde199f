// One Redis connection per purpose, failing fast while Redis is away instead of queueing commands forever.
import { Redis } from "ioredis";

export function connectRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}

/** Resolves once the connection is ready (or fails after `ms`). */
export function redisReady(redis: Redis, ms = 5000): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis did not become ready in ${ms} ms`)), ms);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
