"""The sample rate and frame sizes, defined once.

Every model in the pipeline hears 16 kHz: ``load_audio`` decodes every recording to it
and the diarizers refuse anything else. Each frame size below is fixed by the model or
signal measure that uses it (a model's weights were trained on it), so each is named
after its user.
"""

SAMPLE_RATE = 16000  # Hz

# pyannote segmentation-3.0: 10 s windows; its SincNet front end strides 10 * 3 * 3 * 3 samples.
SEGMENTATION_WINDOW_SAMPLES = 10 * SAMPLE_RATE  # the model's training chunk
SEGMENTATION_FRAME_STEP = 270  # samples between output frames
SEGMENTATION_FRAME_SPAN = 721  # samples one output frame sees
SEGMENTATION_FRAME_S = SEGMENTATION_FRAME_STEP / SAMPLE_RATE

# Whisper's encoder (the overlap detector reads it): 30 s windows of 1500 frames of 20 ms.
WHISPER_WINDOW_S = 30
WHISPER_WINDOW_FRAMES = 1500
WHISPER_FRAME_S = 0.02
WHISPER_FRAME_SAMPLES = SAMPLE_RATE * WHISPER_WINDOW_S // WHISPER_WINDOW_FRAMES  # 320

# Resemblyzer's voice encoder: mel frames of 25 ms windows every 10 ms.
MEL_HOP = 160  # samples between frames
MEL_N_FFT = 400  # samples per window
MEL_FRAME_S = MEL_HOP / SAMPLE_RATE

# The channels diarizer's level and voice-activity frames.
LEVEL_FRAME_S = 0.01
