/** The visual diff between two versions of a process (built in the processes folder). */
export default function ProcessDiff() {
  return <div data-testid="process-diff">diff</div>;
}
