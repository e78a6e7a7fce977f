/** The workspace's inbox (built in its own folder; this is its entry point, loaded on demand). */
export default function Area() {
  return <div data-testid="workspace-inbox">inbox</div>;
}
