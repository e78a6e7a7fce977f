/** The processes area (built in its own folder; this is its entry point, loaded on demand). */
export default function Area() {
  return <div data-testid="processes">processes</div>;
}
