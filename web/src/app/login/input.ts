// The viewer's keyboard and pointer, sent to the remote browser on the stream's input channel (LoginInput in C#):
// coordinates in the remote screen's pixels, keys as KeyboardEvent.key/code with their up and down, wheel steps.

export interface RemoteSize {
  width: number;
  height: number;
}

/** Captures input on `surface` (the video) while `channel` is open. Returns a function that stops capturing. */
export function captureInput(surface: HTMLElement, channel: RTCDataChannel, size: () => RemoteSize): () => void {
  const send = (message: object): void => {
    if (channel.readyState === "open") channel.send(JSON.stringify(message));
  };
  const at = (event: MouseEvent): { x: number; y: number } => {
    const box = surface.getBoundingClientRect();
    const remote = size();
    return {
      x: Math.round(((event.clientX - box.left) * remote.width) / Math.max(1, box.width)),
      y: Math.round(((event.clientY - box.top) * remote.height) / Math.max(1, box.height)),
    };
  };
  // X numbers the buttons 1 left, 2 middle, 3 right; the DOM 0, 1, 2.
  const button = (event: MouseEvent): number => [1, 2, 3][event.button] ?? 1;
  let lastMove = 0;
  const listeners: [string, EventListener][] = [
    ["pointermove", ((event: PointerEvent) => {
      const now = performance.now();
      if (now - lastMove < 8) return;
      lastMove = now;
      send({ t: "move", ...at(event) });
    }) as EventListener],
    ["pointerdown", ((event: PointerEvent) => {
      surface.focus();
      surface.setPointerCapture(event.pointerId);
      send({ t: "button", ...at(event), button: button(event), down: true });
      event.preventDefault();
    }) as EventListener],
    ["pointerup", ((event: PointerEvent) => {
      send({ t: "button", ...at(event), button: button(event), down: false });
      event.preventDefault();
    }) as EventListener],
    ["contextmenu", ((event: Event) => event.preventDefault()) as EventListener],
    ["wheel", ((event: WheelEvent) => {
      send({ t: "wheel", dx: Math.sign(event.deltaX), dy: Math.sign(event.deltaY) });
      event.preventDefault();
    }) as EventListener],
    ["keydown", ((event: KeyboardEvent) => {
      if (event.isComposing) return;
      // Ctrl+V (Cmd+V) is left to the browser: its paste event carries this computer's clipboard to the remote one.
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "v") return;
      send({ t: "key", key: event.key, code: event.code, down: true });
      event.preventDefault();
    }) as EventListener],
    ["keyup", ((event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "v") return;
      send({ t: "key", key: event.key, code: event.code, down: false });
      event.preventDefault();
    }) as EventListener],
    ["paste", ((event: ClipboardEvent) => {
      const text = event.clipboardData?.getData("text/plain");
      if (text) send({ t: "paste", text });
      event.preventDefault();
    }) as EventListener],
  ];
  for (const [name, listener] of listeners) surface.addEventListener(name, listener, { passive: false });
  return () => {
    for (const [name, listener] of listeners) surface.removeEventListener(name, listener);
  };
}
