/** The workspace's requests (built in its own folder; this is its entry point, loaded on demand). */
export default function Area() {
  return <div data-testid="workspace-requests">requests</div>;
}
