"""Made-up data: the demo programme `make run` shows (`demo`, `demo_story`) and synthetic
programmes of any size for benchmarks and load tests (`synth`, `synth_story`)."""
