/** The workspace's start (built in its own folder; this is its entry point, loaded on demand). */
export default function Area() {
  return <div data-testid="workspace-start">start</div>;
}
