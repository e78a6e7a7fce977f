/** The form-editor area (built in its own folder; this is its entry point, loaded on demand). */
export default function Area() {
  return <div data-testid="form-editor">form-editor</div>;
}
