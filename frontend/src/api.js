// A small client for the public GraphQL API, within the limits the server published to the page.
import { pageConfig } from "./config.js";

const config = pageConfig();
export const endpoint = config.endpoint || "/graphql";
export const limits = config.limits || {};

/** An error the API (or the way to it) reported; its message is meant for the user. */
export class ApiError extends Error {}

/**
 * Run one GraphQL operation and return its data.
 * Throws ApiError with the server's message when the answer carries errors and no data.
 */
export async function gql(query, variables = {}) {
  const body = JSON.stringify({ query, variables });
  if (limits.maxBodyBytes && new TextEncoder().encode(body).length > limits.maxBodyBytes) {
    throw new ApiError(`request larger than the server accepts (${limits.maxBodyBytes} bytes)`);
  }
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("the server cannot be reached");
  }
  let payload;
  try {
    payload = await response.json();
  } catch {
    throw new ApiError(`the server answered HTTP ${response.status}`);
  }
  if (payload.errors && payload.errors.length && !payload.data) {
    throw new ApiError(payload.errors.map((e) => e.message).join("; "));
  }
  return { data: payload.data, errors: payload.errors || [] };
}
