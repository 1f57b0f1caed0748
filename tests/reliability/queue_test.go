package reliability

func queueWorker() int { return 0 }
