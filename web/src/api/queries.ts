// Hooks for server state shared across features. Feature-specific hooks live in their
// feature folder (features/*/queries.ts) and take their keys from ./keys.
import { useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { api, call } from "./client";
import { tokensFromResponse, useAuth } from "./auth";
import { keys } from "./keys";
import type { NodeSpec, Workflow } from "./types";

/**
 * A mutation that refreshes what it changes: once it worked, every query under `queryKey` is
 * marked stale and refetched (and the mutation settles when they have been).
 */
export function useInvalidatingMutation<V, R>(queryKey: QueryKey, mutationFn: (variables: V) => Promise<R>) {
  const qc = useQueryClient();
  return useMutation({ mutationFn, onSuccess: () => qc.invalidateQueries({ queryKey }) });
}

export function useMe() {
  return useQuery({ queryKey: keys.me, queryFn: () => call(() => api.GET("/api/v1/auth/me")) });
}

export function useLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: { username: string; password: string; totp?: string }) => {
      const pair = await call(() => api.POST("/api/v1/auth/login", { body }));
      useAuth.getState().setTokens(tokensFromResponse(pair), body.username);
      return pair;
    },
    onSuccess: () => qc.clear(),
  });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const t = useAuth.getState().tokens;
      // Revoke the refresh family server-side; the session ends here whatever the answer.
      if (t) await api.POST("/api/v1/auth/logout", { body: { refresh_token: t.refreshToken } }).catch(() => undefined);
    },
    onSettled: () => {
      useAuth.getState().clear();
      qc.clear();
    },
  });
}

/** The node catalog; it only changes with a new server build. */
export function useNodeCatalog() {
  return useQuery({
    queryKey: keys.nodes,
    staleTime: Infinity,
    queryFn: async () => {
      const c = await call(() => api.GET("/api/v1/nodes"));
      return c.items as unknown as NodeSpec[];
    },
  });
}

export function useWorkflow(id: string | undefined) {
  return useQuery({
    queryKey: keys.workflow(id ?? ""),
    enabled: !!id,
    queryFn: async () =>
      (await call(() => api.GET("/api/v1/workflows/{id}", { params: { path: { id: id! } } }))) as unknown as Workflow,
  });
}
