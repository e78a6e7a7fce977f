import { Button } from 'antd';
import { type ReactNode, useRef } from 'react';

/** Lets the browser save a text as a file of the user (nothing leaves the browser). */
export function saveTextFile(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A button that opens the browser's file picker (the hidden input carries `testId`, for tests to
 * set files on). The input is cleared after each pick, so the same file can be chosen again.
 */
export function OpenFileButton(props: {
  accept: string;
  testId: string;
  icon?: ReactNode;
  buttonTestId?: string;
  children: ReactNode;
  onFile(file: File): void;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <Button icon={props.icon} data-testid={props.buttonTestId} onClick={() => input.current?.click()}>
        {props.children}
      </Button>
      <input
        ref={input}
        type="file"
        accept={props.accept}
        data-testid={props.testId}
        style={{ display: 'none' }}
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) props.onFile(file);
        }}
      />
    </>
  );
}
