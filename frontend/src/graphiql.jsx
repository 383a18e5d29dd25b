// The GraphiQL playground served by codingkg itself: React, GraphiQL and its CSS are bundled,
// so the page makes no request beyond the server that served it.
import React from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import { pageConfig } from "./config.js";

const config = pageConfig();
const endpoint = config.endpoint || "/graphql";

// A plain POST fetcher: the toolkit's fetcher also bundles websocket and multipart clients this
// server has no use for. Non-JSON answers (a proxy's error page) become a readable error.
async function fetcher(params) {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(params),
    credentials: "same-origin",
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 200)}` }] };
  }
}

const tabs = (config.examples || []).map((example) => ({
  query: example.query,
  variables: example.variables ? JSON.stringify(example.variables, null, 2) : undefined,
}));

function Playground() {
  return (
    <GraphiQL fetcher={fetcher} defaultTabs={tabs} defaultEditorToolsVisibility={tabs.some((t) => t.variables)}>
      <GraphiQL.Logo>codingkg</GraphiQL.Logo>
    </GraphiQL>
  );
}

createRoot(document.getElementById("graphiql")).render(<Playground />);
