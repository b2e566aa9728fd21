"""(to be written)"""


def parameters_to_vector(*a, **k):
    raise NotImplementedError


vector_to_parameters = parameters_to_vector
